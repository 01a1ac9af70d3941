/**
 * Every command of this project checks the Node major version first (`npm run
 * <anything>` loads this through load-typescript.js, or runs it before tsc and
 * eslint) and says in one line what it needs: on another Node the failures come
 * later and say nothing about the cause (Node 20's test runner, for one, takes
 * no glob and answers "Could not find 'test/**\/*.test.ts'").
 */
"use strict";
const NEEDED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);
if (major !== NEEDED_MAJOR) {
  process.stderr.write(
    `retzien-infra needs Node ${NEEDED_MAJOR} (see .nvmrc), and this is Node ${process.versions.node}: install Node ${NEEDED_MAJOR} LTS (nvm install ${NEEDED_MAJOR}, or npm install --prefix ~/node${NEEDED_MAJOR} node@${NEEDED_MAJOR} and put ~/node${NEEDED_MAJOR}/node_modules/.bin first on PATH)\n`,
  );
  process.exit(1);
}
