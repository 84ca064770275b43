from django.conf import settings


def site(request):
    """The site's name and public base URL for every template."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
