using System;

namespace DriverSafety.Example
{
    /// <summary>A sleeping lock: the kernel's <c>struct mutex</c>.</summary>
    [LockType(LockKind.Sleeping)]
    public sealed class Mutex
    {
        [Acquires] public void Lock() { }
        [TryAcquires(true)] public bool TryLock() => true;
        [Releases] public void Unlock() { }
        [Acquires] public MutexGuard LockScoped() => new MutexGuard(this);
    }

    /// <summary>Holds its mutex until disposed: the kernel's <c>guard(mutex)(&amp;m)</c>.</summary>
    [LockGuard]
    public readonly struct MutexGuard : IDisposable
    {
        private readonly Mutex _mutex;
        public MutexGuard(Mutex mutex) => _mutex = mutex;
        public void Dispose() => _mutex.Unlock();
    }

    /// <summary>A spinning lock: the kernel's <c>spinlock_t</c>.</summary>
    [LockType(LockKind.Spinning)]
    public sealed class SpinLock
    {
        [Acquires] public void Lock() { }
        [Releases] public void Unlock() { }
    }

    /// <summary>A GEM-like buffer object: its mapping is protected by its reservation lock, its fence by a spinlock.</summary>
    public sealed class BufferObject
    {
        public readonly Mutex Resv = new Mutex();
        public readonly SpinLock FenceLock = new SpinLock();

        [GuardedBy("Resv")] public int VmapUseCount;
        [GuardedBy("Resv")] public byte[]? Vaddr;
        [GuardedBy("FenceLock")] public ulong Seqno;

        /// <summary>Maps the buffer into the kernel address space: <c>drm_gem_vmap</c>, which needs the reservation lock.</summary>
        [Requires("bo.Resv")]
        public static byte[] Vmap(BufferObject bo)
        {
            if (bo.Vaddr is null)
                bo.Vaddr = new byte[4096];
            bo.VmapUseCount++;
            return bo.Vaddr;
        }

        /// <summary>Drops one mapping reference: <c>drm_gem_vunmap</c>.</summary>
        [Requires("bo.Resv")]
        public static void Vunmap(BufferObject bo)
        {
            if (--bo.VmapUseCount == 0)
                bo.Vaddr = null;
        }
    }
}
