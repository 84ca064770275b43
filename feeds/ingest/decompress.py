"""Bounded decompression of gzip/deflate response bodies."""

import zlib

from feeds.ingest.errors import FetchError


class Decoder:
    """Decompresses gzip/deflate bodies without ever producing more than asked for (gzip bombs stop at the cap)."""

    def __init__(self, encoding: str):
        if encoding in ("", "identity"):
            self.inflater = None
        elif encoding in ("gzip", "x-gzip"):
            self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.inflater = "deflate"  # zlib-wrapped or raw: decided on the first bytes
        else:
            raise FetchError(f"The feed used an unsupported content encoding ({encoding[:40]}).")

    def decode(self, chunk: bytes, max_length: int) -> bytes:
        if self.inflater is None:
            return chunk
        if self.inflater == "deflate":
            zlib_wrapped = len(chunk) >= 2 and chunk[0] & 0x0F == 8 and (chunk[0] << 8 | chunk[1]) % 31 == 0
            self.inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        try:
            return self.inflater.decompress(chunk, max_length)
        except zlib.error:
            raise FetchError("The feed's compressed data is corrupt.") from None

    def finish(self) -> None:
        """Refuse a compressed body that ended before its compressed stream did."""
        if self.inflater is not None and (self.inflater == "deflate" or not self.inflater.eof):
            raise FetchError("The feed's compressed data is corrupt or cut short.")
