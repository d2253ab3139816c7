#!/bin/sh
# Stands in for `ollama serve` in the preset's tests: prints server records in Ollama's format
# (what its discovery prints when it is done), then keeps running as a server does.
echo "time=2025-11-01T10:00:00.000Z level=INFO source=routes.go:1 msg=\"server config\" env=\"map[OLLAMA_DEBUG:$OLLAMA_DEBUG OLLAMA_HOST:http://$OLLAMA_HOST OLLAMA_MODELS:$OLLAMA_MODELS]\"" >&2
echo "time=2025-11-01T10:00:00.100Z level=INFO source=routes.go:2 msg=\"Listening on $OLLAMA_HOST (version 0.12.0)\"" >&2
echo "time=2025-11-01T10:00:00.200Z level=INFO source=types.go:3 msg=\"inference compute\" id=cpu library=cpu compute=\"\" name=cpu description=cpu libdirs=ollama driver=\"\" pci_id=\"\" type=\"\" total=\"31.2 GiB\" available=\"28.0 GiB\"" >&2
sleep 30
echo "still serving after discovery" >&2
