using System.Collections.Generic;
using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>A call, resolved: where it is, what it calls, and its effects; with the state before and after.</summary>
    internal sealed class CallEvent
    {
        public CallEvent(BodyContext body, CallSite site, ImmutableArray<Effect> effects, FlowState before, FlowState after)
        {
            Body = body;
            Site = site;
            Effects = effects;
            Before = before;
            After = after;
        }

        public BodyContext Body { get; }
        public CallSite Site { get; }
        public ImmutableArray<Effect> Effects { get; }
        public FlowState Before { get; }
        public FlowState After { get; }
    }

    /// <summary>A read or write of a field or property (the accessors' calls are call events of their own).</summary>
    internal sealed class MemberAccessEvent
    {
        private readonly IOperation? _instanceOperation;
        private readonly System.Func<IOperation?, AccessPath?>? _resolve;
        private AccessPath? _instance;
        private bool _resolved;

        public MemberAccessEvent(BodyContext body, IOperation site, ISymbol member, IOperation? instanceOperation, System.Func<IOperation?, AccessPath?> resolve, bool write, bool ownInitialization, FlowState state)
        {
            Body = body;
            Site = site;
            Member = member;
            _instanceOperation = instanceOperation;
            _resolve = resolve;
            Write = write;
            OwnInitialization = ownInitialization;
            State = state;
        }

        public BodyContext Body { get; }
        public IOperation Site { get; }
        public ISymbol Member { get; }

        /// <summary>The access path of the member's receiver (null for a static member or an unnamable receiver), found when first asked for.</summary>
        public AccessPath? Instance
        {
            get
            {
                if (!_resolved)
                {
                    _instance = Member.IsStatic || _resolve is null ? null : _resolve(_instanceOperation);
                    _resolved = true;
                }

                return _instance;
            }
        }
        public bool Write { get; }

        /// <summary>The object is being initialised and not shared yet (its constructor, or an object initializer of a fresh object).</summary>
        public bool OwnInitialization { get; }
        public FlowState State { get; }
    }

    /// <summary>A value stored into a field, property, local or parameter.</summary>
    internal sealed class AssignmentEvent
    {
        public AssignmentEvent(BodyContext body, IOperation site, IOperation target, IOperation value, FlowState state)
        {
            Body = body;
            Site = site;
            Target = target;
            Value = value;
            State = state;
        }

        public BodyContext Body { get; }
        public IOperation Site { get; }
        public IOperation Target { get; }
        public IOperation Value { get; }
        public FlowState State { get; }
    }

    /// <summary>States meeting at a block or loop head, with every domain's mismatch records.</summary>
    internal sealed class MergeEvent
    {
        public MergeEvent(BodyContext body, Domains.MergeKind kind, Location? mergePoint, IReadOnlyList<object> mismatches)
        {
            Body = body;
            Kind = kind;
            MergePoint = mergePoint;
            Mismatches = mismatches;
        }

        public BodyContext Body { get; }
        public Domains.MergeKind Kind { get; }
        public Location? MergePoint { get; }
        public IReadOnlyList<object> Mismatches { get; }
    }

    /// <summary>How control leaves a body.</summary>
    internal enum ExitKind
    {
        /// <summary>A <c>return</c>, or falling off the end.</summary>
        Return,

        /// <summary>An explicit <c>throw</c> not caught in the body: a failure exit (§7.6a).</summary>
        Throw,
    }

    /// <summary>Control leaves the body at <see cref="Location"/> with <see cref="State"/>.</summary>
    internal sealed class ExitEvent
    {
        public ExitEvent(BodyContext body, Location location, ExitKind kind, FlowState state, IOperation? returned = null)
        {
            Body = body;
            Location = location;
            Kind = kind;
            State = state;
            Returned = returned;
        }

        /// <summary>The value a <c>return</c> hands back (null for a valueless exit or a throw).</summary>
        public IOperation? Returned { get; }

        public BodyContext Body { get; }
        public Location Location { get; }
        public ExitKind Kind { get; }
        public FlowState State { get; }
    }

    /// <summary>
    /// The events the engine raises while it walks a body in its reporting pass. Each carries the state; rule families
    /// observe them and decide what is a diagnostic (and which of two findings wins); they never walk bodies themselves
    /// (Clang's ThreadSafetyHandler, in C#).
    /// </summary>
    internal interface IFlowObserver
    {
        void OnCall(CallEvent e);

        void OnMemberAccess(MemberAccessEvent e);

        void OnAssignment(AssignmentEvent e);

        void OnMerge(MergeEvent e);

        void OnExit(ExitEvent e);

        /// <summary>The body's analysis is complete (flush per-body aggregates).</summary>
        void OnBodyDone(BodyContext body);
    }

    /// <summary>An observer that ignores every event; rule families override what they need.</summary>
    internal abstract class FlowObserver : IFlowObserver
    {
        public virtual void OnCall(CallEvent e)
        {
        }

        public virtual void OnMemberAccess(MemberAccessEvent e)
        {
        }

        public virtual void OnAssignment(AssignmentEvent e)
        {
        }

        public virtual void OnMerge(MergeEvent e)
        {
        }

        public virtual void OnExit(ExitEvent e)
        {
        }

        public virtual void OnBodyDone(BodyContext body)
        {
        }
    }

    /// <summary>Fans every event out to the rule families, in registration order.</summary>
    internal sealed class CompositeObserver : IFlowObserver
    {
        private readonly ImmutableArray<IFlowObserver> _observers;

        public CompositeObserver(ImmutableArray<IFlowObserver> observers) => _observers = observers;

        public void OnCall(CallEvent e)
        {
            foreach (var observer in _observers)
            {
                observer.OnCall(e);
            }
        }

        public void OnMemberAccess(MemberAccessEvent e)
        {
            foreach (var observer in _observers)
            {
                observer.OnMemberAccess(e);
            }
        }

        public void OnAssignment(AssignmentEvent e)
        {
            foreach (var observer in _observers)
            {
                observer.OnAssignment(e);
            }
        }

        public void OnMerge(MergeEvent e)
        {
            foreach (var observer in _observers)
            {
                observer.OnMerge(e);
            }
        }

        public void OnExit(ExitEvent e)
        {
            foreach (var observer in _observers)
            {
                observer.OnExit(e);
            }
        }

        public void OnBodyDone(BodyContext body)
        {
            foreach (var observer in _observers)
            {
                observer.OnBodyDone(body);
            }
        }
    }
}
