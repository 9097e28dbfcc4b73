namespace LoraDsl.Distributed;

/// <summary>An MPI library that cannot be loaded or used, or an MPI call that failed; the message names the call and the process.</summary>
public sealed class MpiException(string message, Exception? inner = null) : Exception(message, inner);
