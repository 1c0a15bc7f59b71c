"""Windows-only integration: the Win32 boundary (win32api) and the pure logic over it (windows)."""
