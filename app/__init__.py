"""Loopback Tuner: inspect and tune Windows' TCP loopback settings safely."""

__version__ = "0.1.0"
APP_NAME = "Loopback Tuner"
