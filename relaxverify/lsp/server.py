"""The language server: pygls features over the documents (documents.py).

Parse and check on open and on every change; verify on save (and from a code
lens) in the background, cancelling the run a newer change or save makes stale.
The server reads what the client sends and writes nothing to disk.
"""
from __future__ import annotations

import asyncio
from typing import Optional

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from relaxverify import __version__
from relaxverify.lsp.diagnostics import diagnostics
from relaxverify.lsp.documents import VERIFYING, Document, analyse
from relaxverify.lsp.hover import hover_markdown
from relaxverify.lsp.lenses import function_title
from relaxverify.lsp.positions import source_position, span_range
from relaxverify.lsp.verifier import Stopped, VerifySettings, end_all, verify_text

VERIFY_COMMAND = "relaxverify.verify"


class RelaxServer(LanguageServer):
    """A pygls server with the open documents and the verification settings."""

    def __init__(self, settings: VerifySettings) -> None:
        super().__init__("relaxverify", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.settings = settings
        self.documents: dict[str, Document] = {}

    def text(self, uri: str) -> TextDocument:
        return self.workspace.get_text_document(uri)

    def refresh(self, uri: str) -> Document:
        """Re-read a document after a change: check it, drop the stale verification."""
        old = self.documents.get(uri)
        if old is not None:
            old.cancel()
        text = self.text(uri)
        doc = analyse(uri, to_fs_path(uri) or uri, text.source, text.version)
        self.documents[uri] = doc
        self.publish(doc)
        return doc

    def publish(self, doc: Document) -> None:
        text = self.text(doc.uri)
        found = diagnostics(doc.findings, text.lines, text.position_codec)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=doc.uri, diagnostics=found, version=doc.version))

    def start_verify(self, uri: str) -> None:
        """Verify a document that checks, in the background (cancelling a run in
        progress); its verdicts replace the check's diagnostics when it ends."""
        doc = self.documents.get(uri) or self.refresh(uri)
        doc.cancel()
        if not doc.ok:
            return
        doc.outcome, doc.state = None, VERIFYING
        doc.task = asyncio.get_running_loop().create_task(self._verify(doc))
        self.refresh_lenses()  # "verifying…"

    async def _verify(self, doc: Document) -> None:
        result = await verify_text(doc.path, doc.text, self.settings)
        if self.documents.get(doc.uri) is not doc:  # closed or changed meanwhile
            return
        if isinstance(result, Stopped):
            doc.state = result.reason
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"relaxverify: {result.reason}"))
        else:
            doc.outcome = result
        doc.task = None
        self.publish(doc)
        self.refresh_lenses()

    def refresh_lenses(self) -> None:
        workspace = self.client_capabilities.workspace
        lens = workspace.code_lens if workspace else None
        if lens is not None and lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    def lenses(self, uri: str) -> list[types.CodeLens]:
        doc = self.documents.get(uri)
        if doc is None or doc.index is None:
            return []
        text = self.text(uri)
        lenses = []
        for fn in doc.index.functions:
            title = function_title(doc.verdicts, fn.name) if doc.outcome else doc.state
            lenses.append(types.CodeLens(
                range=span_range(fn.span, text.lines, text.position_codec),
                command=types.Command(title=title, command=VERIFY_COMMAND, arguments=[uri])))
        return lenses

    def hover(self, uri: str, position: types.Position) -> Optional[types.Hover]:
        doc = self.documents.get(uri)
        if doc is None:
            return None
        text = self.text(uri)
        line, _ = source_position(position, text.lines, text.position_codec)
        shown = hover_markdown(doc.verdicts, line)
        if shown is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=shown))

    def definition(self, uri: str, position: types.Position) -> Optional[types.Location]:
        doc = self.documents.get(uri)
        if doc is None or doc.index is None:
            return None
        text = self.text(uri)
        found = doc.index.definition(*source_position(position, text.lines,
                                                      text.position_codec))
        if found is None:
            return None
        return types.Location(uri=uri, range=span_range(found.span, text.lines,
                                                        text.position_codec))

    def close(self, uri: str) -> None:
        doc = self.documents.pop(uri, None)
        if doc is not None:
            doc.cancel()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri,
                                                                              diagnostics=[]))

    def stop_all(self) -> None:
        for doc in self.documents.values():
            doc.cancel()
        end_all()


def create_server(settings: VerifySettings) -> RelaxServer:
    server = RelaxServer(settings)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RelaxServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RelaxServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: RelaxServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.start_verify(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RelaxServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RelaxServer, params: types.HoverParams) -> Optional[types.Hover]:
        return ls.hover(params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: RelaxServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        return ls.lenses(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: RelaxServer,
                   params: types.DefinitionParams) -> Optional[types.Location]:
        return ls.definition(params.text_document.uri, params.position)

    @server.command(VERIFY_COMMAND)
    async def verify_command(ls: RelaxServer, uri: str) -> None:
        if uri in ls.documents:
            ls.start_verify(uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: RelaxServer, params: None) -> None:
        ls.stop_all()

    return server
