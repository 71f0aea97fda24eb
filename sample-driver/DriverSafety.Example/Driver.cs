using System;

namespace DriverSafety.Example
{
    /// <summary>Driver code on top of the annotated core: four bugs, each with the finding it produces, and correct code.</summary>
    public static class Driver
    {
        // DRV1001 (at 'bo.VmapUseCount'): a guarded field written without bo.Resv held.
        public static void ResetUnlocked(BufferObject bo)
        {
            bo.VmapUseCount = 0;
        }

        // DRV1002 (at the call): Vmap requires bo.Resv, and nobody took it.
        public static byte ReadFirstByte(BufferObject bo)
        {
            return BufferObject.Vmap(bo)[0];
        }

        // DRV1003 (at 'bo.Resv.Lock()', the early 'return -22' as the exit): the goto ladder misses one unlock.
        public static int Populate(BufferObject bo, int size)
        {
            int ret;
            bo.Resv.Lock();
            if (size <= 0)
                return -22; // -EINVAL, still holding bo.Resv
            if (bo.Vaddr != null)
            {
                ret = -16; // -EBUSY
                goto err_unlock;
            }

            bo.Vaddr = new byte[size];
            ret = 0;
        err_unlock:
            bo.Resv.Unlock();
            return ret;
        }

        // DRV1004 (at the second 'bo.FenceLock.Unlock()'): the lock was already dropped before the wakeup.
        public static void Retire(BufferObject bo, ulong seqno)
        {
            bo.FenceLock.Lock();
            bo.Seqno = seqno;
            bo.FenceLock.Unlock();
            WakeWaiters();
            bo.FenceLock.Unlock();
        }

        // No finding: the same ladder with every error path leaving through the unlock.
        public static int PopulateFixed(BufferObject bo, int size)
        {
            int ret = 0;
            bo.Resv.Lock();
            if (size <= 0)
            {
                ret = -22;
                goto err_unlock;
            }

            if (bo.Vaddr != null)
            {
                ret = -16;
                goto err_unlock;
            }

            bo.Vaddr = new byte[size];
        err_unlock:
            bo.Resv.Unlock();
            return ret;
        }

        // No finding: try/finally releases on every path.
        public static void ResetLocked(BufferObject bo)
        {
            bo.Resv.Lock();
            try
            {
                bo.VmapUseCount = 0;
            }
            finally
            {
                bo.Resv.Unlock();
            }
        }

        // No finding: the guarded write is on the branch where the try-lock succeeded.
        public static bool TryBump(BufferObject bo)
        {
            if (!bo.Resv.TryLock())
                return false;
            bo.VmapUseCount++;
            bo.Resv.Unlock();
            return true;
        }

        // No finding: the using guard holds bo.Resv from LockScoped() to the end of the method.
        public static int CopyOut(BufferObject bo, byte[] destination)
        {
            using var guard = bo.Resv.LockScoped();
            var source = BufferObject.Vmap(bo);
            Array.Copy(source, destination, Math.Min(source.Length, destination.Length));
            BufferObject.Vunmap(bo);
            return 0;
        }

        private static void WakeWaiters() { }
    }
}
