"""View-models: QObjects that own the window's state, talk to the async services and emit typed signals."""
