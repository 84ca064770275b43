-- A large archive for query-plan tests: %(posts)s posts from 40 sources over the last years (every 50th hidden,
-- a few featured), 60 labels, 30 days of daily views for a third of the last 40 days' posts, a comment on every
-- second post (every seventh pending). Run by tests/articles/test_query_plans.py, then ANALYZE.
INSERT INTO feeds_source (name, slug, feed_url, previous_feed_url, site_url, is_active, disabled_reason, etag,
                          last_modified, content_digest, consecutive_failures, last_error, created_at, updated_at)
SELECT 'Source ' || g, 'plan-source-' || g, 'https://s' || g || '.example.com/feed', '', '', true, '', '', '', '', 0, '',
       now(), now()
FROM generate_series(1, 40) g;

INSERT INTO articles_label (name, slug) SELECT 'plan topic ' || g, 'plan-topic-' || g FROM generate_series(1, 60) g;

INSERT INTO articles_article (guid, url, title, slug, url_year, url_month, author, body_html, excerpt, image_url,
                              published_at, fetched_at, updated_at, content_hash, status, is_featured, total_views,
                              edited_by_editor, source_id)
SELECT 'g' || g, 'https://x.example.com/' || g, 'Story ' || g || ' about the harbour', 'plan-story-' || g,
       extract(year FROM at)::int, extract(month FROM at)::int, 'A', '<p>The story.</p>',
       'The harbour story number ' || g, '', at, now(), now(), '',
       CASE WHEN g % 50 = 0 THEN 'hidden' ELSE 'published' END, g % 997 = 0, (g * 7919) % 1000, false,
       (SELECT min(id) FROM feeds_source) + g % 40
FROM generate_series(1, %(posts)s) g, LATERAL (SELECT now() - g * interval '30 minutes' AS at) t;

INSERT INTO articles_article_labels (article_id, label_id)
SELECT a.id, (SELECT min(id) FROM articles_label) + a.id % 60 FROM articles_article a;

INSERT INTO articles_articledailyviews (article_id, date, views, unique_visitors)
SELECT a.id, current_date - d, (a.id * 31 + d) % 50 + 1, 1
FROM articles_article a, generate_series(0, 29) d
WHERE a.published_at > now() - interval '40 days' AND a.id % 3 = 0;

INSERT INTO articles_comment (article_id, author_name, email, body, created_at, status, ip_hash)
SELECT a.id, 'Reader', '', 'A comment.', a.published_at, CASE WHEN a.id % 7 = 0 THEN 'pending' ELSE 'approved' END, ''
FROM articles_article a WHERE a.id % 2 = 0;
