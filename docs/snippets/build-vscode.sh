cd editors/vscode
npm install
npx @vscode/vsce package --allow-missing-repository
code --install-extension relax-relaxverify-0.1.0.vsix
