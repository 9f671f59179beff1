"""``httptool import``: turn traffic the user already has (a HAR recording, a Postman
collection, an OpenAPI document) into an idiomatic .httpx scenario.

A layer beside :mod:`httptool.dsl`: it emits scenario *text* (curl commands, named
requests, one scenario) and never imports the engine, so what it writes is checked by the
same validator a hand-written file meets. Each importer builds an :class:`~.model.Imported`
and :mod:`.writer` renders it.
"""
