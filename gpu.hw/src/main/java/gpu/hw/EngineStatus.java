package gpu.hw;

/** What an engine is doing. */
public enum EngineStatus { IDLE, BUSY, FAULTED }
