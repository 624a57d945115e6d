/** publisher.name from package.json: how VS Code names this extension. */
export const EXTENSION_ID = 'remote-assist.remote-assist';
