package kmd.api;

/** The engine (WDDM node) a submission runs on. */
public enum EngineNode { COPY, RENDER }
