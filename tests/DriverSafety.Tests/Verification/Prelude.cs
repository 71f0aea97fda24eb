namespace DriverSafety.Tests.Verification;

/// <summary>
/// Annotated lock primitives every test can use, compiled as a second document (Prelude.cs) beside the test source.
/// The global usings spare each test its using directives. Members of [LockType] and [LockGuard] types are trivial:
/// the analyzer trusts them as the primitive implementations and does not check their bodies.
/// </summary>
public static class Prelude
{
    /// <summary>The document name of the prelude in a test project.</summary>
    public const string FileName = "Prelude.cs";

    /// <summary>The prelude's source.</summary>
    public const string Source = """
        global using System;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using DriverSafety;

        [LockType(LockKind.Sleeping)]
        public sealed class Mutex
        {
            [Acquires] public void Lock() { }
            [Releases] public void Unlock() { }
            [TryAcquires(true)] public bool TryLock() => true;
            [AssertsHeld] public void AssertHeld() { }
            [Acquires] public MutexGuard LockScoped() => new MutexGuard(this);
        }

        [LockGuard]
        public readonly struct MutexGuard : IDisposable
        {
            public MutexGuard(Mutex mutex) => Mutex = mutex;
            public Mutex Mutex { get; }
            public void Dispose() { }
        }

        [LockType(LockKind.Spinning)]
        public sealed class SpinLock
        {
            [Acquires] public void Lock() { }
            [Releases] public void Unlock() { }
            [Acquires(DisablesIrqs = true)] public ulong LockIrqSave() => 0;
            [Releases] public void UnlockIrqRestore(ulong flags) { }
        }

        [LockType(LockKind.Sleeping)]
        public sealed class RwSemaphore
        {
            [Acquires(Shared = true)] public void DownRead() { }
            [Releases(Shared = true)] public void UpRead() { }
            [Acquires] public void DownWrite() { }
            [Releases] public void UpWrite() { }
        }

        public sealed class WwAcquireContext
        {
        }

        [LockType(LockKind.Sleeping)]
        public sealed class DmaResv
        {
            [TryAcquires(0)] public int Lock([AcquireContext] WwAcquireContext? ctx) => 0;
            [Acquires] public void LockSlow([AcquireContext] WwAcquireContext ctx) { }
            [Releases] public void Unlock() { }
            [AssertsHeld] public void AssertHeld() { }
            [Acquires] public DmaResvGuard LockScoped() => new DmaResvGuard(this);
        }

        [LockGuard]
        public readonly struct DmaResvGuard : IDisposable
        {
            public DmaResvGuard(DmaResv resv) => Resv = resv;
            public DmaResv Resv { get; }
            public void Dispose() { }
        }

        public static class Errno
        {
            public const int EDEADLK = 35;
            public const int ENOMEM = 12;
            public const int EINVAL = 22;
        }
        """;
}
