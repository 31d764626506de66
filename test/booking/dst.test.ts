import { defineDstSuite } from './dst-cases.js';

defineDstSuite();
