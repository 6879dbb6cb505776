"""The WSGI entry point: gunicorn wsgi:app."""
from forum import create_app

app = create_app()
