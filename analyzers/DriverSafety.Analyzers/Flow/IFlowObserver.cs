using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// The events the engine raises while it walks a body in its reporting pass. Rule families observe them and
    /// decide what is a diagnostic; they never walk bodies themselves (Clang's ThreadSafetyHandler, in C#).
    /// </summary>
    internal interface IFlowObserver
    {
        /// <summary>A call acquires <paramref name="lockPath"/>; <paramref name="alreadyHeld"/> is its hold before the call, if any.</summary>
        void LockAcquired(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld);

        /// <summary>A call to a method of this compilation acquires <paramref name="lockPath"/> inside its body (found by its summary).</summary>
        void CalleeAcquires(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld, string chain);

        /// <summary>
        /// A call releases <paramref name="lockPath"/>; <paramref name="held"/> is its hold before the call, if any, and
        /// <paramref name="sharedRelease"/> the mode the release declares (null where it declares none: a guard, a monitor).
        /// </summary>
        void LockReleased(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? held, bool? sharedRelease);

        /// <summary>A call to <paramref name="callee"/> requires <paramref name="lockPath"/>.</summary>
        void LockRequired(BodyContext body, IOperation site, ISymbol callee, AccessPath lockPath, bool sharedSuffices, HeldLock? held);

        /// <summary>A call to <paramref name="callee"/> excludes <paramref name="lockPath"/>, which is held.</summary>
        void ExcludedLockHeld(BodyContext body, IOperation site, ISymbol callee, AccessPath lockPath, HeldLock held);

        /// <summary>A <c>[GuardedBy]</c> member is read or written.</summary>
        void GuardedAccess(BodyContext body, IOperation site, ISymbol member, AccessPath lockPath, bool write, HeldLock? held);

        /// <summary>At a merge point inside the body <paramref name="held"/> is held on some incoming paths only.</summary>
        void LockHeldOnSomePaths(BodyContext body, HeldLock held, Location? mergePoint);

        /// <summary>Control leaves the body at <paramref name="exit"/> with <paramref name="state"/>.</summary>
        void BodyExit(BodyContext body, Location exit, FlowState state);

        /// <summary>The body's analysis is complete (flush per-body aggregates).</summary>
        void BodyDone(BodyContext body);
    }

    /// <summary>An observer that ignores every event; rule families override what they need.</summary>
    internal abstract class FlowObserver : IFlowObserver
    {
        public virtual void LockAcquired(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld)
        {
        }

        public virtual void CalleeAcquires(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld, string chain)
        {
        }

        public virtual void LockReleased(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? held, bool? sharedRelease)
        {
        }

        public virtual void LockRequired(BodyContext body, IOperation site, ISymbol callee, AccessPath lockPath, bool sharedSuffices, HeldLock? held)
        {
        }

        public virtual void ExcludedLockHeld(BodyContext body, IOperation site, ISymbol callee, AccessPath lockPath, HeldLock held)
        {
        }

        public virtual void GuardedAccess(BodyContext body, IOperation site, ISymbol member, AccessPath lockPath, bool write, HeldLock? held)
        {
        }

        public virtual void LockHeldOnSomePaths(BodyContext body, HeldLock held, Location? mergePoint)
        {
        }

        public virtual void BodyExit(BodyContext body, Location exit, FlowState state)
        {
        }

        public virtual void BodyDone(BodyContext body)
        {
        }
    }
}
