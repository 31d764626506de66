import { defineGraphZoneCases } from './microsoft-zones.cases.js';

defineGraphZoneCases();
