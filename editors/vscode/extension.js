// The shipgate extension: starts `shipgate lsp` and lets the language client talk to it.
// All the language knowledge is in the server; this file only starts it.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('shipgate').get('path') || 'shipgate';
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient(
    'shipgate',
    'shipgate',
    { run: server, debug: server },
    { documentSelector: [{ scheme: 'file', language: 'shipgate' }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
