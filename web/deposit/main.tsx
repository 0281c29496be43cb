import { render } from 'preact';
import '../lib/base.css';
import { readSettings } from '../lib/settings.js';
import { App } from './App.js';

const root = document.getElementById('app');
if (root) render(<App settings={readSettings()} />, root);
