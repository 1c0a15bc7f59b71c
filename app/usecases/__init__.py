"""The use cases both faces share: plain, synchronous, Qt-free and asyncio-free operations (read the machine,
remember its originals, recover an interrupted trial, plan a restore, presets, profiles, history, report). They
return typed results and raise typed errors; the command line calls them directly and the view-models run them
off the GUI thread with ``asyncio.to_thread``, so neither face decides anything the other decides too."""
