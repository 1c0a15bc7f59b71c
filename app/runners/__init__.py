"""The netsh runners behind one blocking protocol (real, logging, known-build), and the backend factory."""
