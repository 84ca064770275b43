"""Reading pages in tests: what a reader sees in the main column, apart from the sidebar's widgets."""


def main_column(response) -> str:
    """The page's <main> element, so a post listed by a sidebar widget is not mistaken for a listing."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]
