"""Append-or-create a contact: the one service every entry point calls."""

from contacts.reconcile.service import NothingToReconcile, ReconcileResult, contact_append_or_create

__all__ = ["NothingToReconcile", "ReconcileResult", "contact_append_or_create"]
