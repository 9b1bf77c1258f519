#!/usr/bin/env node
import { CELLOS_API_VERSION } from "@cellos-cortex/cellos-core";
console.log(CELLOS_API_VERSION);
