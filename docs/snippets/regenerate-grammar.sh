python -m relaxverify.syntax.textmate > editors/vscode/syntaxes/relax.tmLanguage.json
