export const editorChecks = [];
