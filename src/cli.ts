#!/usr/bin/env node
/** bosun's executable entry: hands argv to main() and sets the exit code it returns. */
import { main } from "./cli/main.js";

process.exitCode = await main(process.argv.slice(2));
