/** The recovery's timeline in the store: its state (advanced by the session) and a notice for the operator. */
import type { StateCreator } from 'zustand/vanilla';
import type { TimelineSpec, TimelineState } from '../timeline/index.js';
import type { DeckState } from './deck-store.js';

export interface TimelineSlice {
  timeline: TimelineState | undefined;
  timelineSpec: TimelineSpec;
  /** Set when the saved timeline was unreadable and moved aside. */
  timelineNotice: string | undefined;
  setTimeline(timeline: TimelineState): void;
  /** t0 by hand: the operator says Flux was deployed now (when the objects cannot tell). */
  setT0(t0: number): void;
}

export function createTimelineSlice(spec: TimelineSpec): StateCreator<DeckState, [], [], TimelineSlice> {
  return (set, get) => ({
    timeline: undefined,
    timelineSpec: spec,
    timelineNotice: undefined,
    setTimeline(timeline) {
      if (timeline !== get().timeline) set({ timeline });
    },
    setT0(t0) {
      const timeline = get().timeline;
      if (timeline) set({ timeline: { ...timeline, t0, phases: { ...timeline.phases, 'flux-deployed': { completedAt: t0 } } } });
    },
  });
}
