import { describe, expect, it } from 'vitest';
import { templateVariables, tokenizeTemplate } from '../../../src/playbook/templates.js';

describe('template tokenizer', () => {
  it('splits text and variables, with or without spaces inside the braces', () => {
    expect(tokenizeTemplate('pod {{ entity.pod }} in {{entity.namespace}}').parts).toEqual([
      { kind: 'text', text: 'pod ' }, { kind: 'variable', name: 'entity.pod', raw: '{{ entity.pod }}' },
      { kind: 'text', text: ' in ' }, { kind: 'variable', name: 'entity.namespace', raw: '{{entity.namespace}}' },
    ]);
  });

  it.each([
    ['{{ entity.pod | upper }}', 0, '"{{ entity.pod | upper }}" uses a filter; templates have none, write "{{ entity.pod }}"'],
    ['pod {{ unclosed', 4, '"{{ unclosed" is not closed; write "{{ name }}" with both braces'],
    ['{{ a {{ entity.pod }}', 0, '"{{ a " is not closed; write "{{ name }}" with both braces'],
    ['{{entity_pod}}', 0, '"{{entity_pod}}" is not a variable name (words are joined by dots); write "{{ entity.pod }}"'],
    ['{{ }}', 0, '"{{ }}" is not a variable; write "{{ name }}" with a name such as entity.pod'],
  ])('refuses %s with where it starts and the fix', (text, offset, message) => {
    expect(tokenizeTemplate(text).problems).toEqual([{ offset, message }]);
  });

  it('keeps a bad template as literal text and finds no variable in it', () => {
    expect(templateVariables('{{ entity.pod | upper }} {{entity_pod}}')).toEqual([]);
    expect(templateVariables('{{ a {{ entity.pod }}')).toEqual(['entity.pod']);
  });

  it('quotes at most 60 characters of a long bad template', () => {
    const [problem] = tokenizeTemplate(`{{ ${'x'.repeat(10_000)}`).problems;
    expect(problem?.message.length).toBeLessThan(140);
  });
});
