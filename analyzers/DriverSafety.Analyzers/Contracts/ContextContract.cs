using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// The execution-context contract of a method (SPEC §3.2): what calling it requires (it may sleep, it needs IRQs
    /// enabled), what it does to the caller's context (atomic and IRQ-off depth, allocation-flag masks), and how its own
    /// body starts (atomic, with IRQs off). Inherited from overridden and implemented members, from an
    /// <c>[AtomicContext]</c> interface or abstract class, and for a delegate's <c>Invoke</c> from the delegate type.
    /// </summary>
    internal sealed class ContextContract
    {
        public static ContextContract Empty { get; } = new ContextContract();

        public bool MightSleep { get; private set; }
        public bool AtomicContext { get; private set; }
        public bool IrqsOff { get; private set; }

        /// <summary>Where the body's atomic context is declared (the <c>[AtomicContext]</c> attribute), for messages.</summary>
        public Location? AtomicDeclaredAt { get; private set; }
        public string? AtomicDeclaredOn { get; private set; }
        public bool EntersAtomic { get; private set; }
        public bool ExitsAtomic { get; private set; }
        public bool DisablesIrqs { get; private set; }
        public bool EnablesIrqs { get; private set; }
        public bool RequiresIrqsEnabled { get; private set; }

        /// <summary>The ordinal of the <c>[Allocates]</c> flags parameter, or -1.</summary>
        public int AllocatesParameter { get; private set; } = -1;

        /// <summary>The flags a <c>[MasksAllocationFlags]</c> call clears until its unmask (0 when it is not one).</summary>
        public ulong Masks { get; private set; }
        public bool IsMask { get; private set; }
        public bool Unmasks { get; private set; }

        /// <summary>A declared effect on the caller's context or a declared sleep: the body is taken at its word (§7.9).</summary>
        public bool IsDeclared => MightSleep || EntersAtomic || ExitsAtomic || DisablesIrqs || EnablesIrqs || RequiresIrqsEnabled || AllocatesParameter >= 0 || IsMask || Unmasks;

        public bool HasDepthEffect => EntersAtomic || ExitsAtomic || DisablesIrqs || EnablesIrqs || IsMask || Unmasks;

        internal sealed class Builder
        {
            private readonly ContextContract _contract = new ContextContract();
            private bool _any;

            public void Read(Annotation attribute, KnownSymbols known, ISymbol declaredOn, IMethodSymbol method, AllocationFlagsModel flags)
            {
                var c = _contract;
                if (KnownSymbols.Is(attribute, known.MightSleep))
                {
                    c.MightSleep = _any = true;
                }
                else if (KnownSymbols.Is(attribute, known.AtomicContext))
                {
                    c.AtomicContext = _any = true;
                    c.IrqsOff |= attribute.NamedArguments.Any(p => p.Key == "IrqsOff" && p.Value.Value is true);
                    if (c.AtomicDeclaredAt is null && attribute.Location is { } declaredAt)
                    {
                        c.AtomicDeclaredAt = declaredAt;
                    }

                    c.AtomicDeclaredOn ??= declaredOn.Name;
                }
                else if (KnownSymbols.Is(attribute, known.EntersAtomic))
                {
                    c.EntersAtomic = _any = true;
                }
                else if (KnownSymbols.Is(attribute, known.ExitsAtomic))
                {
                    c.ExitsAtomic = _any = true;
                }
                else if (KnownSymbols.Is(attribute, known.DisablesIrqs))
                {
                    c.DisablesIrqs = _any = true;
                }
                else if (KnownSymbols.Is(attribute, known.EnablesIrqs))
                {
                    c.EnablesIrqs = _any = true;
                }
                else if (KnownSymbols.Is(attribute, known.RequiresIrqsEnabled))
                {
                    c.RequiresIrqsEnabled = _any = true;
                }
                else if (KnownSymbols.Is(attribute, known.Allocates) && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name)
                {
                    var parameter = method.Parameters.FirstOrDefault(p => p.Name == name);
                    if (parameter is not null && flags.IsFlagsType(parameter.Type) && c.AllocatesParameter < 0)
                    {
                        c.AllocatesParameter = parameter.Ordinal;
                        _any = true;
                    }
                }
                else if (KnownSymbols.Is(attribute, known.MasksAllocationFlags) && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string names)
                {
                    if (flags.ResolveNames(method.ContainingAssembly, names, out var bits, out _))
                    {
                        c.Masks |= bits;
                        c.IsMask = _any = true;
                    }
                }
                else if (KnownSymbols.Is(attribute, known.UnmasksAllocationFlags))
                {
                    c.Unmasks = _any = true;
                }
            }

            public ContextContract Build() => _any ? _contract : Empty;
        }
    }

    /// <summary>
    /// The allocation-flags enums (<c>[AllocationFlags]</c>) and their may-sleep and reclaim bits (§3.2, §7.11), per
    /// compilation; and the context contracts of methods, parsed once each.
    /// </summary>
    internal sealed class ContextContracts
    {
        private readonly KnownSymbols _known;
        private readonly ConcurrentDictionary<IMethodSymbol, ContextContract> _methods = new ConcurrentDictionary<IMethodSymbol, ContextContract>(SymbolEqualityComparer.Default);

        public ContextContracts(KnownSymbols known)
        {
            _known = known;
            Flags = new AllocationFlagsModel(known);
        }

        public AllocationFlagsModel Flags { get; }

        /// <summary>How many calls deep sleeps are followed through bodies (<c>driversafety.max_call_depth</c>).</summary>
        public int MaxCallDepth { get; set; } = DefaultMaxCallDepth;

        public const int DefaultMaxCallDepth = 16;

        public ContextContract For(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            return _methods.TryGetValue(method, out var known) ? known : _methods.GetOrAdd(method, Build);
        }

        /// <summary>The contract a lambda or method group converted to <paramref name="delegateType"/> runs under.</summary>
        public ContextContract ForDelegate(INamedTypeSymbol? delegateType) =>
            delegateType?.DelegateInvokeMethod is { } invoke ? For(invoke) : ContextContract.Empty;

        private ContextContract Build(IMethodSymbol method)
        {
            var builder = new ContextContract.Builder();
            foreach (var source in Sources(method))
            {
                foreach (var attribute in _known.AttributesOf(source))
                {
                    if (attribute.AttributeClass?.ContainingNamespace?.Name == "DriverSafety")
                    {
                        builder.Read(attribute, _known, source, method, Flags);
                    }
                }
            }

            return builder.Build();
        }

        /// <summary>
        /// The symbols whose context attributes apply to <paramref name="method"/>: itself, what it overrides or implements,
        /// its property, the delegate type of an <c>Invoke</c>, and an <c>[AtomicContext]</c> interface or abstract class it
        /// implements a member of.
        /// </summary>
        private static IEnumerable<ISymbol> Sources(IMethodSymbol method)
        {
            yield return method;
            if (method.AssociatedSymbol is IPropertySymbol property)
            {
                yield return property;
            }

            if (method.MethodKind == MethodKind.DelegateInvoke && method.ContainingType is { } delegateType)
            {
                yield return delegateType.OriginalDefinition;
            }

            foreach (var inherited in ContractProvider.InheritedFrom(method))
            {
                yield return inherited.OriginalDefinition;
                if (inherited.AssociatedSymbol is IPropertySymbol inheritedProperty)
                {
                    yield return inheritedProperty.OriginalDefinition;
                }

                if (inherited.IsAbstract && inherited.ContainingType is { } owner)
                {
                    // [AtomicContext] on an interface or abstract class: every implementation of its members.
                    yield return owner.OriginalDefinition;
                }
            }
        }
    }

    /// <summary>The <c>[AllocationFlags]</c> enums: which bits may sleep and which recurse into reclaim.</summary>
    internal sealed class AllocationFlagsModel
    {
        private readonly KnownSymbols _known;
        private readonly ConcurrentDictionary<ITypeSymbol, FlagsType?> _types = new ConcurrentDictionary<ITypeSymbol, FlagsType?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IAssemblySymbol, ImmutableArray<INamedTypeSymbol>> _enums = new ConcurrentDictionary<IAssemblySymbol, ImmutableArray<INamedTypeSymbol>>(SymbolEqualityComparer.Default);

        public AllocationFlagsModel(KnownSymbols known) => _known = known;

        public bool IsFlagsType(ITypeSymbol? type) => Of(type) is not null;

        /// <summary>The flags model of an <c>[AllocationFlags]</c> enum, or null for any other type.</summary>
        public FlagsType? Of(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Enum } named)
            {
                return null;
            }

            var definition = named.OriginalDefinition;
            return _types.TryGetValue(definition, out var known) ? known : _types.GetOrAdd(definition, t => Build((INamedTypeSymbol)t));
        }

        private FlagsType? Build(INamedTypeSymbol type)
        {
            if (!_known.AttributesOf(type).Any(a => KnownSymbols.Is(a, _known.AllocationFlags)))
            {
                return null;
            }

            ulong maySleep = 0, reclaim = 0;
            var names = ImmutableDictionary.CreateBuilder<string, ulong>();
            foreach (var field in type.GetMembers().OfType<IFieldSymbol>())
            {
                if (!field.HasConstantValue || ToBits(field.ConstantValue) is not { } bits)
                {
                    continue;
                }

                names[field.Name] = bits;
                if (_known.AttributesOf(field).Any(a => KnownSymbols.Is(a, _known.MaySleepFlag)))
                {
                    maySleep |= bits;
                }

                if (_known.AttributesOf(field).Any(a => KnownSymbols.Is(a, _known.ReclaimFlag)))
                {
                    reclaim |= bits;
                }
            }

            return new FlagsType(type, maySleep, reclaim, names.ToImmutable());
        }

        /// <summary>
        /// Resolves <c>"Io|Fs"</c> against the <c>[AllocationFlags]</c> enums of <paramref name="assembly"/>; false with the
        /// first name that names no flag.
        /// </summary>
        public bool ResolveNames(IAssemblySymbol? assembly, string names, out ulong bits, out string? unknown)
        {
            bits = 0;
            unknown = null;
            var parts = names.Split('|').Select(p => p.Trim()).ToArray();
            if (assembly is null || parts.Any(p => p.Length == 0))
            {
                unknown = names;
                return false;
            }

            foreach (var candidate in EnumsOf(assembly))
            {
                var type = Of(candidate);
                if (type is null)
                {
                    continue;
                }

                ulong found = 0;
                string? missing = null;
                foreach (var part in parts)
                {
                    var name = part.LastIndexOf('.') >= 0 ? part.Substring(part.LastIndexOf('.') + 1) : part;
                    if (type.Names.TryGetValue(name, out var value))
                    {
                        found |= value;
                    }
                    else
                    {
                        missing ??= part;
                    }
                }

                if (missing is null)
                {
                    bits = found;
                    return true;
                }

                unknown ??= missing;
            }

            unknown ??= parts[0];
            return false;
        }

        private ImmutableArray<INamedTypeSymbol> EnumsOf(IAssemblySymbol assembly) =>
            _enums.GetOrAdd(assembly, a =>
            {
                var found = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
                var pending = new Stack<INamespaceOrTypeSymbol>();
                pending.Push(a.GlobalNamespace);
                while (pending.Count > 0)
                {
                    foreach (var member in pending.Pop().GetMembers())
                    {
                        if (member is INamespaceSymbol ns)
                        {
                            pending.Push(ns);
                        }
                        else if (member is INamedTypeSymbol type)
                        {
                            if (type.TypeKind == TypeKind.Enum && _known.AttributesOf(type).Any(x => KnownSymbols.Is(x, _known.AllocationFlags)))
                            {
                                found.Add(type);
                            }
                            else if (type.TypeKind is TypeKind.Class or TypeKind.Struct)
                            {
                                pending.Push(type);
                            }
                        }
                    }
                }

                return found.ToImmutable();
            });

        public static ulong? ToBits(object? constant) => constant switch
        {
            int i => unchecked((ulong)i),
            uint u => u,
            long l => unchecked((ulong)l),
            ulong ul => ul,
            short s => unchecked((ulong)s),
            ushort us => us,
            byte b => b,
            sbyte sb => unchecked((ulong)sb),
            _ => null,
        };
    }

    /// <summary>One <c>[AllocationFlags]</c> enum: its may-sleep bits, its reclaim bits, and its members' values.</summary>
    internal sealed class FlagsType
    {
        public FlagsType(INamedTypeSymbol type, ulong maySleep, ulong reclaim, ImmutableDictionary<string, ulong> names)
        {
            Type = type;
            MaySleep = maySleep;
            Reclaim = reclaim;
            Names = names;
        }

        public INamedTypeSymbol Type { get; }
        public ulong MaySleep { get; }
        public ulong Reclaim { get; }
        public ImmutableDictionary<string, ulong> Names { get; }

        /// <summary>The names of the may-sleep flags among <paramref name="bits"/> (<c>DirectReclaim</c>).</summary>
        public string NamesOf(ulong bits)
        {
            var single = Names.Where(p => p.Value != 0 && (p.Value & (p.Value - 1)) == 0 && (p.Value & bits) != 0).Select(p => p.Key).OrderBy(n => n, System.StringComparer.Ordinal).ToArray();
            return single.Length == 0 ? "0x" + bits.ToString("X", System.Globalization.CultureInfo.InvariantCulture) : string.Join("|", single);
        }
    }
}
