"""Unsubscribe when a source is switched off or deleted through the ORM; bulk updates are caught by the
maintenance task (feeds.websub.lifecycle.subscriptions_maintain) within its interval."""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from feeds.models import Source
from feeds.websub.lifecycle import sources_subscriptions_end


@receiver(post_save, sender=Source, dispatch_uid="websub-source-disabled")
def source_disabled(sender, instance: Source, created: bool, **_kwargs) -> None:
    if not created and not instance.is_active:
        sources_subscriptions_end(source_ids=[instance.pk], note="The source was disabled.")


@receiver(pre_delete, sender=Source, dispatch_uid="websub-source-deleted")
def source_deleted(sender, instance: Source, **_kwargs) -> None:
    sources_subscriptions_end(source_ids=[instance.pk], note="The source was deleted.")
