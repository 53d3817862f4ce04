// A preload that does nothing: what any --preload / bunfig preload costs
// before it runs a line. The second baseline of every start-up table.
