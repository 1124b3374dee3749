// The Relax extension: the language (package.json: grammar, comments, brackets)
// and a client that starts `relaxverify lsp` over stdio. Plain JavaScript: no build
// step beyond `npm install` (see README.md).
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate() {
  const settings = vscode.workspace.getConfiguration("relaxverify.server");
  const server = {
    command: settings.get("command", "relaxverify"),
    args: settings.get("arguments", ["lsp"]),
    transport: TransportKind.stdio,
  };
  client = new LanguageClient("relaxverify", "Relax (relaxverify)", server, {
    documentSelector: [
      { scheme: "file", language: "relax" },
      { scheme: "untitled", language: "relax" },
    ],
  });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
