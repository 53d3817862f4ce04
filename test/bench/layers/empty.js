// Layer 0 of the start-up breakdown: a preload that does nothing. What any
// --preload / bunfig preload costs before it runs a line.
