"""The stored full-text document of a post: weighted title + excerpt on PostgreSQL, NULL on other databases."""

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db.models import Expression
from django.utils.deconstruct import deconstructible

SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """Title (weight A) and excerpt (weight B) as one tsvector, with an explicit config so it is immutable."""
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "excerpt", weight="B", config=SEARCH_CONFIG
    )


@deconstructible(path="articles.search_document.SearchDocument")
class SearchDocument(Expression):
    """The expression of Article.search_document, a generated column; SQLite has no tsvector, so it stores NULL."""

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__()
        self.vector = search_vector()

    def get_source_expressions(self):
        return [self.vector]

    def set_source_expressions(self, exprs):
        (self.vector,) = exprs

    def as_sql(self, compiler, connection):
        return "NULL", []

    def as_postgresql(self, compiler, connection):
        return compiler.compile(self.vector)
