"""URLs of the in-process Django project of ``test_django_backend.py``."""

from __future__ import annotations

from django.contrib.auth.views import PasswordResetConfirmView
from django.urls import path

urlpatterns = [
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
