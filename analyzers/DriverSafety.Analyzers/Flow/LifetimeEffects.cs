using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>The caller's target must (not) be in a state: <c>[RequiresState]</c>, <c>[RequiresNotState]</c> (a requirement only).</summary>
    internal sealed class RequireState : Effect
    {
        public RequireState(ObjectTarget target, LifetimeClause clause)
        {
            Target = target;
            Clause = clause;
        }

        public ObjectTarget Target { get; }
        public LifetimeClause Clause { get; }
        public bool Not => Clause.Kind == LifetimeClauseKind.RequiresNotState;
    }

    /// <summary>After the call the target is (not) in the state: <c>[EnsuresState]</c>, <c>[EnsuresNotState]</c>.</summary>
    internal sealed class EnsureState : Effect
    {
        public EnsureState(ObjectTarget target, string name, bool not)
        {
            Target = target;
            Name = name;
            Not = not;
        }

        public ObjectTarget Target { get; }
        public string Name { get; }
        public bool Not { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            var fact = objects.Find(Target, Name);
            var open = Not ? null : fact?.Open;
            return state.With(DomainRegistry.Objects, objects.Set(new ObjectFact(Target, Name, Not ? Presence.NotIn : Presence.In, open)));
        }
    }

    /// <summary>The call begins a resource on the target (§3.3): open where its result meets <c>When</c>; a second begin keeps one (§7.22).</summary>
    internal sealed class BeginResource : Effect
    {
        public BeginResource(ObjectTarget target, LifetimeClause clause, AccessPath? whileLock, ObjectTarget? handle, ValueKey? condition, ImmutableArray<MatchValue> match)
        {
            Target = target;
            Clause = clause;
            While = whileLock;
            Handle = handle;
            Condition = condition;
            Match = match;
        }

        public ObjectTarget Target { get; }
        public LifetimeClause Clause { get; }
        public AccessPath? While { get; }
        public ObjectTarget? Handle { get; }
        public ValueKey? Condition { get; }
        public ImmutableArray<MatchValue> Match { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            var fact = objects.Find(Target, Clause.Name);
            var prior = objects.PresenceOf(Target, Clause.Name);
            Opening opening;
            if (Clause.Counted && fact?.Open is { } existing && existing.Clause.Counted)
            {
                opening = existing.With(count: System.Math.Min(existing.Count + 1, ObjectDomain.MaxCount), whileLock: existing.While ?? While, condition: Condition,
                    clearCondition: Condition is null);
            }
            else
            {
                opening = new Opening(context.Site.Operation, context.Site.Method, Clause, 1, While, fact?.Open?.Prior ?? prior, Handle, Condition, null,
                    checkedHandle: Clause.CheckedBy is null, handedOver: false, Match);
            }

            return state.With(DomainRegistry.Objects, objects.Set(new ObjectFact(Target, Clause.Name, Presence.In, opening)));
        }
    }

    /// <summary>The call ends a resource on the target: a mismatched or unexpected end still ends it (§7.17, §7.22).</summary>
    internal sealed class EndResource : Effect
    {
        public EndResource(ObjectTarget target, LifetimeClause clause, ImmutableArray<MatchValue> match)
        {
            Target = target;
            Clause = clause;
            Match = match;
        }

        public ObjectTarget Target { get; }
        public LifetimeClause Clause { get; }
        public ImmutableArray<MatchValue> Match { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            var fact = objects.Find(Target, Clause.Name);
            var presence = objects.PresenceOf(Target, Clause.Name);
            if (fact?.Open is { } open && open.Clause.Counted)
            {
                if (open.Count > 1)
                {
                    return state.With(DomainRegistry.Objects, objects.Set(fact.With(presence, open.With(count: open.Count - 1))));
                }

                return state.With(DomainRegistry.Objects, Restore(objects, fact, open.Prior));
            }

            if (Clause.Counted && presence is Presence.In or Presence.Unknown)
            {
                // A counted resource begun elsewhere: one of its holds goes, whether others remain is not known.
                return state.With(DomainRegistry.Objects, objects.IsFresh(Target) ? objects.Set(new ObjectFact(Target, Clause.Name, Presence.NotIn, null)) : objects.Remove(Target, Clause.Name));
            }

            return state.With(DomainRegistry.Objects, objects.Set(new ObjectFact(Target, Clause.Name, Presence.NotIn, null)));
        }

        private ObjectSet Restore(ObjectSet objects, ObjectFact fact, Presence prior) =>
            prior == Presence.Unknown && !objects.IsFresh(Target) ? objects.Remove(Target, Clause.Name) : objects.Set(fact.With(prior == Presence.Unknown ? Presence.NotIn : prior, null));
    }

    /// <summary>A handle goes through its <c>CheckedBy</c> method: checked, and its result decides whether the mapping failed (§7.16).</summary>
    internal sealed class CheckHandle : Effect
    {
        public CheckHandle(ObjectTarget target, string name, ValueKey? resultKey)
        {
            Target = target;
            Name = name;
            ResultKey = resultKey;
        }

        public ObjectTarget Target { get; }
        public string Name { get; }
        public ValueKey? ResultKey { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            if (objects.Find(Target, Name) is not { Open: { } open } fact)
            {
                return state;
            }

            return state.With(DomainRegistry.Objects, objects.Set(fact.With(fact.Presence, open.With(checkedHandle: true, checkKey: ResultKey, clearCheck: ResultKey is null))));
        }
    }

    /// <summary>The lock a <c>While</c> resource depends on was released: the resource stays open, no longer tied (§7.22).</summary>
    internal sealed class UntieResources : Effect
    {
        public UntieResources(ImmutableArray<AccessPath> locks) => Locks = locks;

        public ImmutableArray<AccessPath> Locks { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            var changed = false;
            var facts = objects.Facts.Select(f =>
            {
                if (f.Open is { While: { } tied } open && Locks.Contains(tied) && state.Locks.Find(tied) is not { IsHeld: true })
                {
                    changed = true;
                    return f.With(f.Presence, open.With(untie: true));
                }

                return f;
            }).ToImmutableArray();
            return changed ? state.With(DomainRegistry.Objects, objects.With(facts: facts)) : state;
        }
    }

    /// <summary>A tracked value goes into a collection (<c>handles.Add(addr)</c>): stored, as into a field or an element (§7.13).</summary>
    internal sealed class HandOver : Effect
    {
        public HandOver(ObjectTarget value) => Value = value;

        public ObjectTarget Value { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            if (Value.Key is not { } key || !objects.Facts.Any(f => f.Open is { HandedOver: false } o && (f.Target.RootedAt(key) || (o.Handle?.RootedAt(key) ?? false))))
            {
                return state;
            }

            return state.With(DomainRegistry.Objects, objects.With(facts: objects.Facts.Select(f =>
                f.Open is { HandedOver: false } o && (f.Target.RootedAt(key) || (o.Handle?.RootedAt(key) ?? false)) ? f.With(f.Presence, o.With(handedOver: true)) : f).ToImmutableArray()));
        }
    }

    /// <summary>The call's result is a new object: in no state until a fact says so.</summary>
    internal sealed class FreshResult : Effect
    {
        public FreshResult(ValueKey key) => Key = key;

        public ValueKey Key { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var objects = state.Objects;
            return objects.Fresh.Contains(Key) ? state : state.With(DomainRegistry.Objects, objects.With(fresh: objects.Fresh.Add(Key)));
        }
    }

    /// <summary>The lifetime family's effects from the callee's contract (SPEC §3.3).</summary>
    internal sealed class LifetimeContractEffects : IEffectSource
    {
        public bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            if (site.ConvertedTo is not null)
            {
                return false;
            }

            var contracts = resolution.Contracts;
            var method = site.Method;
            var contract = LifetimeContract.For(contracts, method);
            var isConstructor = method.MethodKind == MethodKind.Constructor;
            if (isConstructor && site.Operation is IObjectCreationOperation { Type: { } createdType } && LifetimeContract.TypeHasLifetimes(contracts, createdType))
            {
                effects.Add(new FreshResult(site.ResultKey));
            }
            else if (!method.ReturnsVoid && method.ReturnType.IsReferenceType && FreshObjects.Returns(contracts, method))
            {
                effects.Add(new FreshResult(site.ResultKey));
            }

            foreach (var clause in contract.Clauses)
            {
                switch (clause.Kind)
                {
                    case LifetimeClauseKind.RequiresState:
                    case LifetimeClauseKind.RequiresNotState:
                        if (before.Objects.Canonical(TargetOf(site, clause.Target, isConstructor)) is { } required)
                        {
                            effects.Add(new RequireState(required, clause));
                        }

                        break;
                }
            }

            foreach (var clause in contract.Clauses)
            {
                var target = before.Objects.Canonical(TargetOf(site, clause.Target, isConstructor));
                if (target is null)
                {
                    continue;
                }

                switch (clause.Kind)
                {
                    case LifetimeClauseKind.Ends:
                        effects.Add(new EndResource(target, clause, MatchValues(site, before, clause.Match)));
                        break;
                    case LifetimeClauseKind.Begins:
                        var handle = clause.Handle is null ? null
                            : clause.Handle == "return" ? ObjectTarget.ForKey(site.ResultKey)
                            : method.Parameters.FirstOrDefault(p => p.Name == clause.Handle) is { } handleParameter ? before.Objects.Canonical(ObjectTarget.For(site.Argument(handleParameter.Ordinal), site.ArgumentKey(handleParameter.Ordinal))) : null;
                        var whileLock = clause.While is null ? null : site.Substitute(clause.While);
                        var condition = clause.When != BeginWhen.Any && !site.ResultDropped ? site.ResultKey : (ValueKey?)null;
                        var match = MatchValues(site, before, method.Parameters.Select(p => p.Name));
                        effects.Add(new BeginResource(target, clause, whileLock, handle, condition, match));
                        break;
                    case LifetimeClauseKind.EnsuresState:
                    case LifetimeClauseKind.EnsuresNotState:
                        effects.Add(new EnsureState(target, clause.Name, clause.Kind == LifetimeClauseKind.EnsuresNotState));
                        break;
                }
            }

            AddChecks(site, before, effects);

            if (BuiltInModels.IsCollectionMutator(method) && !before.Objects.Facts.IsEmpty)
            {
                for (var i = 0; i < method.Parameters.Length; i++)
                {
                    if (before.Objects.Canonical(ObjectTarget.For(site.Argument(i), site.ArgumentKey(i))) is { IsValue: true } stored)
                    {
                        effects.Add(new HandOver(stored));
                    }
                }
            }

            var released = effects.OfType<ReleaseLock>().Select(r => r.Lock).ToImmutableArray();
            if (!released.IsEmpty && before.Objects.Facts.Any(f => f.Open?.While is { } tied && released.Contains(tied)))
            {
                effects.Add(new UntieResources(released));
            }

            return false;
        }

        /// <summary>A handle passed to the <c>CheckedBy</c> method its begin names.</summary>
        private static void AddChecks(CallSite site, FlowState before, ImmutableArray<Effect>.Builder effects)
        {
            if (!site.Method.IsStatic)
            {
                return;
            }

            foreach (var fact in before.Objects.Facts)
            {
                if (fact.Open is not { Checked: false, Handle: { } handle } open || open.Clause.CheckedBy is not { } checker ||
                    !SymbolEqualityComparer.Default.Equals(checker.OriginalDefinition, site.Method.OriginalDefinition))
                {
                    continue;
                }

                for (var i = 0; i < site.Method.Parameters.Length; i++)
                {
                    if (Equals(before.Objects.Canonical(ObjectTarget.For(site.Argument(i), site.ArgumentKey(i))), handle))
                    {
                        effects.Add(new CheckHandle(fact.Target, fact.Name, site.ResultDropped ? null : site.ResultKey));
                        break;
                    }
                }
            }
        }

        /// <summary>The object a clause's target denotes at this call (a constructor's <c>this</c> is the new object).</summary>
        internal static ObjectTarget? TargetOf(CallSite site, LockExpr target, bool isConstructor)
        {
            ObjectTarget? root = target.Kind switch
            {
                LockRootKind.This when isConstructor => ObjectTarget.ForKey(site.ResultKey),
                LockRootKind.This => ObjectTarget.For(site.Receiver, site.ReceiverKey),
                LockRootKind.Parameter => ObjectTarget.For(site.Argument(target.ParameterOrdinal), site.ArgumentKey(target.ParameterOrdinal)),
                LockRootKind.Static when target.StaticType is not null => ObjectTarget.For(AccessPath.ForStatic(target.StaticType), null),
                LockRootKind.Return => ObjectTarget.ForKey(site.ResultKey),
                _ => null,
            };
            return root?.Append(target.Members);
        }

        /// <summary>The named arguments of the call as <c>Match</c> compares them.</summary>
        private static ImmutableArray<MatchValue> MatchValues(CallSite site, FlowState before, System.Collections.Generic.IEnumerable<string> names)
        {
            var builder = ImmutableArray.CreateBuilder<MatchValue>();
            foreach (var name in names)
            {
                if (site.Method.Parameters.FirstOrDefault(p => p.Name == name) is not { } parameter)
                {
                    continue;
                }

                var key = site.ArgumentKey(parameter.Ordinal);
                var argument = Argument(site.Operation, parameter);
                ConditionValue? constant = null;
                if (parameter.RefKind != RefKind.Out)
                {
                    if (argument is { ConstantValue.HasValue: true } && ConditionValue.FromConstant(argument.ConstantValue.Value) is { } value)
                    {
                        constant = value;
                    }
                    else if (key is { } k && before.Values.Of(k) is { } known)
                    {
                        constant = known;
                    }
                }

                builder.Add(new MatchValue(name, constant, site.Argument(parameter.Ordinal), key));
            }

            return builder.ToImmutable();
        }

        private static IOperation? Argument(IOperation operation, IParameterSymbol parameter)
        {
            var arguments = operation switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };
            foreach (var argument in arguments)
            {
                if (argument.Parameter?.Ordinal == parameter.Ordinal)
                {
                    var value = argument.Value;
                    while (value is IConversionOperation { OperatorMethod: null } conversion)
                    {
                        value = conversion.Operand;
                    }

                    return value;
                }
            }

            return null;
        }
    }
}
