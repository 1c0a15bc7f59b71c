"""Widgets only: they render view-model state and forward the user's intent."""
