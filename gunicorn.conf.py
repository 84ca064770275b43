"""gunicorn's settings for newsblog; every documented way of running it passes `--config gunicorn.conf.py`.

Its own lines (start-up, workers, access log) follow DJANGO_LOG_JSON like the site's. No control socket:
nothing here uses `gunicornc`, and the service user may have no home to put the socket in.
"""

import logging

from newsblog.env import env_bool
from newsblog.logging import gunicorn_log_config

logconfig_dict = gunicorn_log_config(json=env_bool("DJANGO_LOG_JSON", default=False))
control_socket_disable = True

# Python's warnings become log lines in the same format, in the master and the workers it forks.
logging.captureWarnings(True)
