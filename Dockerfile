# newsblog image: one image for web (gunicorn), worker and beat; see docker-compose.yml and docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Hashed, compressed static files are built into the image; the random key below exists only for this step.
RUN DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=build \
    DJANGO_SECRET_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(64))") \
    python manage.py collectstatic --no-input \
 && useradd --system --no-create-home newsblog

USER newsblog
EXPOSE 8000
CMD ["gunicorn", "newsblog.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--access-logfile", "-"]
