using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// The models table: what .NET members do that needs no annotation, kept as data (SPEC §3.1, §7.6c, §7.6d, §7.6f).
    /// It applies in every compilation that references the annotations.
    /// </summary>
    internal static class BuiltInModels
    {
        /// <summary>LINQ operators that enumerate their source (and run their lambdas) before they return.</summary>
        public static readonly ImmutableHashSet<string> ImmediateLinq = ImmutableHashSet.Create(
            "Aggregate", "All", "Any", "Average", "Contains", "Count", "LongCount", "ElementAt", "ElementAtOrDefault", "First",
            "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault", "Max", "MaxBy", "Min", "MinBy", "Sum",
            "ToArray", "ToList", "ToDictionary", "ToHashSet", "ToLookup", "SequenceEqual", "ForEach");

        /// <summary>LINQ operators that only compose: their lambdas run when the chain is consumed.</summary>
        public static readonly ImmutableHashSet<string> DeferredLinq = ImmutableHashSet.Create(
            "Where", "Select", "SelectMany", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy", "Join",
            "GroupJoin", "TakeWhile", "SkipWhile", "Distinct", "DistinctBy", "Zip", "Concat", "Skip", "Take", "Reverse", "Cast",
            "OfType", "Union", "UnionBy", "Intersect", "IntersectBy", "Except", "ExceptBy", "Append", "Prepend", "Chunk");

        /// <summary>Members of well-known types that call a delegate argument before they return (type metadata name, member).</summary>
        public static readonly ImmutableHashSet<(string Type, string Member)> InvokedBeforeReturn = ImmutableHashSet.Create(
            ("System.Collections.Generic.List`1", "ForEach"),
            ("System.Collections.Generic.List`1", "Find"),
            ("System.Collections.Generic.List`1", "FindAll"),
            ("System.Collections.Generic.List`1", "FindIndex"),
            ("System.Collections.Generic.List`1", "FindLast"),
            ("System.Collections.Generic.List`1", "FindLastIndex"),
            ("System.Collections.Generic.List`1", "Exists"),
            ("System.Collections.Generic.List`1", "RemoveAll"),
            ("System.Collections.Generic.List`1", "TrueForAll"),
            ("System.Collections.Generic.List`1", "ConvertAll"),
            ("System.Collections.Generic.List`1", "Sort"),
            ("System.Collections.Generic.HashSet`1", "RemoveWhere"),
            ("System.Collections.Generic.SortedSet`1", "RemoveWhere"),
            ("System.Collections.Concurrent.ConcurrentDictionary`2", "GetOrAdd"),
            ("System.Collections.Concurrent.ConcurrentDictionary`2", "AddOrUpdate"),
            ("System.Array", "ForEach"),
            ("System.Array", "Find"),
            ("System.Array", "FindAll"),
            ("System.Array", "FindIndex"),
            ("System.Array", "FindLast"),
            ("System.Array", "Exists"),
            ("System.Array", "TrueForAll"),
            ("System.Array", "ConvertAll"),
            ("System.Array", "Sort"),
            ("System.MemoryExtensions", "Sort"),
            ("System.String", "Join"),
            ("System.String", "Concat"));

        /// <summary>Members that consume an enumerable argument at once (a deferred chain passed to them runs there).</summary>
        public static readonly ImmutableHashSet<(string Type, string Member)> ConsumesAtOnce = ImmutableHashSet.Create(
            ("System.String", "Join"),
            ("System.String", "Concat"),
            ("System.Collections.Generic.List`1", "AddRange"),
            ("System.Collections.Generic.List`1", "InsertRange"),
            ("System.Collections.Generic.HashSet`1", "UnionWith"));

        /// <summary>Mutators of well-known collections: calling one on a guarded collection is a write (§7.6d).</summary>
        public static readonly ImmutableHashSet<string> CollectionMutators = ImmutableHashSet.Create(
            "Add", "AddRange", "AddFirst", "AddLast", "AddBefore", "AddAfter", "Clear", "Insert", "InsertRange", "Remove", "RemoveAt",
            "RemoveAll", "RemoveRange", "RemoveFirst", "RemoveLast", "RemoveWhere", "Reverse", "Sort", "Push", "Pop", "Enqueue", "Dequeue",
            "TryAdd", "TryRemove", "TryDequeue", "TryPop", "TryUpdate", "AddOrUpdate", "GetOrAdd", "UnionWith", "IntersectWith",
            "ExceptWith", "SymmetricExceptWith", "TrimExcess", "EnsureCapacity", "Set", "CopyTo");

        /// <summary>Namespaces whose types are "well-known collections" for <see cref="CollectionMutators"/>.</summary>
        public static readonly ImmutableHashSet<string> CollectionNamespaces = ImmutableHashSet.Create(
            "System.Collections", "System.Collections.Generic", "System.Collections.Concurrent", "System.Collections.ObjectModel",
            "System.Collections.Immutable", "System.Collections.Specialized");

        public static bool IsCollectionMutator(IMethodSymbol method) =>
            !method.IsStatic && CollectionMutators.Contains(method.Name) && method.ContainingType is { } type &&
            CollectionNamespaces.Contains(type.ContainingNamespace?.ToDisplayString() ?? string.Empty);

        public static bool IsLinq(IMethodSymbol method) =>
            method.IsExtensionMethod && method.ContainingType?.Name == "Enumerable" &&
            method.ContainingType.ContainingNamespace?.ToDisplayString() == "System.Linq";

        public static bool Invokes(IMethodSymbol method)
        {
            var original = method.ReducedFrom ?? method;
            if (IsLinq(original))
            {
                return ImmediateLinq.Contains(method.Name);
            }

            var type = original.ContainingType?.OriginalDefinition;
            return type is not null && InvokedBeforeReturn.Contains((MetadataName(type), method.Name));
        }

        public static bool Consumes(IMethodSymbol method)
        {
            var type = (method.ReducedFrom ?? method).ContainingType?.OriginalDefinition;
            return type is not null && ConsumesAtOnce.Contains((MetadataName(type), method.Name));
        }

        private static string MetadataName(INamedTypeSymbol type)
        {
            var ns = type.ContainingNamespace?.ToDisplayString();
            return string.IsNullOrEmpty(ns) ? type.MetadataName : ns + "." + type.MetadataName;
        }
    }

    /// <summary>After the call the value at <see cref="Key"/> is <see cref="Value"/> (the <c>lockTaken</c> flag of <c>Monitor.Enter</c>).</summary>
    internal sealed class KnowValue : Effect
    {
        public KnowValue(ValueKey key, ConditionValue value)
        {
            Key = key;
            Value = value;
        }

        public ValueKey Key { get; }
        public ConditionValue Value { get; }

        public override FlowState Apply(FlowState state, EffectContext context) => state.WithValues(state.Values.With(Key, Value));
    }

    /// <summary>
    /// The built-in lock models: the C# <c>lock</c> statement and <c>Monitor.Enter/TryEnter/Exit</c> (a re-entrant
    /// sleeping lock named by its expression), and disposing a guard value.
    /// </summary>
    internal sealed class BuiltInLockModels : IEffectSource
    {
        public bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            if (site.ConvertedTo is not null)
            {
                return false;
            }

            var method = site.Method;
            if (resolution.Contracts.Known.Monitor is { } monitor && SymbolEqualityComparer.Default.Equals(method.ContainingType, monitor) && !method.Parameters.IsEmpty)
            {
                var lockPath = site.Argument(0);
                switch (method.Name)
                {
                    case "Enter":
                        if (lockPath is not null)
                        {
                            effects.Add(new AcquireLock(lockPath, false, false, 0, reentrant: true, lockKind: 0));
                        }

                        if (method.Parameters.Length > 1 && site.ArgumentKey(1) is { } taken)
                        {
                            effects.Add(new KnowValue(taken, ConditionValue.Bool(true)));
                        }

                        return true;
                    case "TryEnter" when lockPath is not null:
                        var last = method.Parameters.Length - 1;
                        var key = method.Parameters[last].RefKind == RefKind.Ref && site.ArgumentKey(last) is { } tryTaken ? tryTaken : site.ResultKey;
                        effects.Add(new TryAcquireLock(ImmutableArray.Create(lockPath), false, ConditionValue.Bool(true), blocking: method.Parameters.Length > 1 && method.Parameters[1].Type.SpecialType != SpecialType.System_Boolean, reentrant: true, lockKind: 0, key));
                        return true;
                    case "Exit" when lockPath is not null:
                        effects.Add(new ReleaseLock(lockPath, null, byGuard: false));
                        return true;
                    default:
                        return true;
                }
            }

            if (method.Name == "Dispose" && method.Parameters.IsEmpty && site.ReceiverKey is { } guardKey &&
                before.Locks.Guards.FirstOrDefault(g => g.Key.Equals(guardKey)) is { } guard)
            {
                foreach (var lockPath in guard.Locks)
                {
                    effects.Add(new ReleaseLock(lockPath, null, byGuard: true));
                }

                effects.Add(new UnbindGuard(guard));
                return true;
            }

            return false;
        }
    }
}
