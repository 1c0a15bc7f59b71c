"""View-models: QObjects that own the window's state over the synchronous use cases (run with asyncio.to_thread)."""
