import type { FunctionDefinition } from '../../tools/index.js';

/**
 * The fictional function definitions that the embedded sample (`syntheticCorpus`) is generated from.
 * @module
 */

/** The fictional tools of the embedded sample (made up here; no external data). */
export const SAMPLE_TOOLS: readonly FunctionDefinition[] = [
  {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: {
      type: 'dict',
      properties: {
        city: { type: 'string', description: 'The city, e.g. "Paris".' },
        unit: { type: 'string', description: 'The temperature unit.', enum: ['celsius', 'fahrenheit'], default: 'celsius' },
      },
      required: ['city'],
    },
  },
  {
    name: 'convert_currency',
    description: 'Convert an amount of money from one currency to another.',
    parameters: {
      type: 'dict',
      properties: {
        amount: { type: 'float', description: 'The amount to convert.' },
        from_currency: { type: 'string', description: 'ISO code of the source currency.', enum: ['USD', 'EUR', 'JPY', 'NGN', 'GBP'] },
        to_currency: { type: 'string', description: 'ISO code of the target currency.', enum: ['USD', 'EUR', 'JPY', 'NGN', 'GBP'] },
      },
      required: ['amount', 'from_currency', 'to_currency'],
    },
  },
  {
    name: 'search_flights',
    description: 'Find flights between two cities on a date.',
    parameters: {
      type: 'dict',
      properties: {
        origin: { type: 'string', description: 'The departure city.' },
        destination: { type: 'string', description: 'The arrival city.' },
        date: { type: 'string', description: 'The departure date as YYYY-MM-DD.' },
        max_price: { type: 'integer', description: 'The highest ticket price in US dollars.', minimum: 50, maximum: 2000 },
        cabin: { type: 'string', description: 'The cabin class.', enum: ['economy', 'business'], default: 'economy' },
      },
      required: ['origin', 'destination', 'date'],
    },
  },
  {
    name: 'calendar.add_event',
    description: 'Create an event in the user calendar.',
    parameters: {
      type: 'dict',
      properties: {
        title: { type: 'string', description: 'The event title, e.g. "dentist".' },
        date: { type: 'string', description: 'The event date as YYYY-MM-DD.' },
        duration_minutes: { type: 'integer', description: 'The length of the event in minutes.', minimum: 15, maximum: 240 },
        attendees: { type: 'array', items: { type: 'string' }, description: 'Names of the people invited.' },
      },
      required: ['title', 'date'],
    },
  },
  {
    name: 'translate_text',
    description: 'Translate text into another language.',
    parameters: {
      type: 'dict',
      properties: {
        text: { type: 'string', description: 'The text to translate, e.g. "good morning".' },
        target_language: { type: 'string', description: 'The language code of the translation.', enum: ['fr', 'es', 'ja', 'yo', 'de'] },
      },
      required: ['text', 'target_language'],
    },
  },
];
