/** The confirm screen: a fix's plan, the changes and their dry run first, then warnings, bodies, commands, Git change. */
import { Box, Text } from 'ink';
import { useEffect } from 'react';
import { fixById } from '../fixes/index.js';
import { useDeck } from '../hooks/use-deck.js';
import { confirmRows, type ConfirmLine } from './confirm-lines.js';
import { color } from './theme.js';

const TONE: Record<NonNullable<ConfirmLine['tone']>, string> = {
  heading: 'cyan',
  warning: 'yellow',
  ok: 'green',
  error: 'red',
  command: 'white',
  git: 'yellow',
};

export function Confirm({ width, height }: { width: number; height: number }) {
  const confirming = useDeck((s) => s.confirming);
  const activity = useDeck((s) => (s.confirming ? s.fixes[s.confirming.fixId] : undefined));
  const requested = useDeck((s) => s.confirmScroll);
  const setLayout = useDeck((s) => s.setLayout);
  const lines = activity?.prepared ? confirmRows(activity.prepared, width) : [];
  const listHeight = Math.max(1, height - 4);
  const limit = Math.max(0, lines.length - listHeight);
  useEffect(() => setLayout({ confirmScrollLimit: limit }), [limit, setLayout]);
  if (!confirming || !activity?.prepared) return null;
  const { plan } = activity.prepared;
  const fix = fixById(plan.fixId);
  const start = Math.min(requested, Math.max(0, lines.length - listHeight));
  const visible = lines.slice(start, start + listHeight);
  const typed = plan.confirm.kind === 'type';
  const more = lines.length > listHeight ? ` (${start + 1}-${start + visible.length}/${lines.length}, ${typed ? '↑↓ Home End' : 'j/k g/G'})` : '';

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        <Text color={color(fix?.dangerous ? 'red' : 'cyan')}>{fix?.dangerous ? 'DESTRUCTIVE ' : ''}Fix: </Text>
        {plan.title} ({plan.fixId}){more}
      </Text>
      {/* Wrapped, not cut: every word of a warning or a request matters here. */}
      <Box flexDirection="column" height={listHeight}>
        {visible.map((line) => (
          <Text key={line.key} wrap="truncate-end" bold={line.tone === 'heading'} color={line.tone ? color(TONE[line.tone]) : undefined}>
            {line.text}
          </Text>
        ))}
      </Box>
      <Text> </Text>
      {typed ? (
        <Text wrap="truncate-end" color={color('red')}>
          Type {JSON.stringify(plan.confirm.kind === 'type' ? plan.confirm.text : '')} and Enter to apply, Esc to cancel: {confirming.typed}█
          {plan.confirm.kind === 'type' && !plan.confirm.text.startsWith(confirming.typed) ? '  (not the name)' : ''}
        </Text>
      ) : (
        <Text wrap="truncate-end" bold>
          y apply · n or Esc cancel
        </Text>
      )}
      <Text> </Text>
    </Box>
  );
}
