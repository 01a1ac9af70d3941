/**
 * Every command of this project checks the Node major version first (`npm run
 * <anything>` loads this through load-typescript.js, or runs it before tsc and
 * eslint) and says in one line what it needs: on another Node the failures come
 * later and say nothing about the cause (Node 20's test runner, for one, takes
 * no glob and answers "Could not find 'test/**\/*.test.ts'"). `npm ci` refuses
 * another Node too (`engine-strict` in .npmrc, `engines` in package.json).
 */
"use strict";
const NEEDED_MAJOR = 24;

/** The one line to print on Node `version` (`process.versions.node`), or null when it is the one needed. */
function nodeVersionProblem(version) {
  if (Number(version.split(".")[0]) === NEEDED_MAJOR) return null;
  return `retzien-infra needs Node ${NEEDED_MAJOR} (see .nvmrc), and this is Node ${version}: install Node ${NEEDED_MAJOR} LTS (nvm install ${NEEDED_MAJOR}, or npm install --prefix ~/node${NEEDED_MAJOR} node@${NEEDED_MAJOR} and put ~/node${NEEDED_MAJOR}/node_modules/.bin first on PATH)`;
}

module.exports = { NEEDED_MAJOR, nodeVersionProblem };

const problem = nodeVersionProblem(process.versions.node);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
