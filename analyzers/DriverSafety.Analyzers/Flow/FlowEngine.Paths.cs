using System.Collections.Generic;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        private readonly HashSet<ILocalSymbol> _resolvingAliases = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);

        /// <summary>
        /// The access path an operation denotes (<c>this.Resv</c>, <c>gem.Resv</c>, <c>Device.StructMutex</c>), or null. A
        /// local assigned once from an access path stands for that path (§7.6b); a reassigned local is its own path.
        /// </summary>
        private AccessPath? PathOf(CfgInfo info, IOperation? operation)
        {
            operation = StripConversions(operation);
            if (operation is IDeclarationExpressionOperation declaration)
            {
                operation = StripConversions(declaration.Expression);
            }

            switch (operation)
            {
                case IInstanceReferenceOperation:
                    return AccessPath.This;
                case IParameterReferenceOperation parameter:
                    return _parameterAliases.TryGetValue(parameter.Parameter, out var alias) ? alias : AccessPath.ForParameter(parameter.Parameter);
                case ILocalReferenceOperation local:
                    return LocalAlias(info, local.Local) ?? AccessPath.ForLocal(local.Local);
                case IFieldReferenceOperation field:
                    return field.Field.IsStatic ? AccessPath.ForStatic(field.Field.ContainingType).Append(field.Field) : PathOf(info, field.Instance)?.Append(field.Field);
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    return property.Property.IsStatic ? AccessPath.ForStatic(property.Property.ContainingType).Append(property.Property) : PathOf(info, property.Instance)?.Append(property.Property);
                case IFlowCaptureReferenceOperation capture:
                    return info.Captures.TryGetValue(capture.Id, out var value) && value is not null ? PathOf(info, value) : null;
                default:
                    return null;
            }
        }

        private AccessPath? LocalAlias(CfgInfo info, ILocalSymbol local)
        {
            if (!info.AliasCandidates.TryGetValue(local, out var initial) || !_resolvingAliases.Add(local))
            {
                return null;
            }

            try
            {
                var path = PathOf(info, initial);
                return path is { Kind: PathRootKind.Local } ? null : path;
            }
            finally
            {
                _resolvingAliases.Remove(local);
            }
        }

        /// <summary>The key facts about a value hang off: a local, a flow capture, or the call that produced it.</summary>
        internal static ValueKey? KeyOf(IOperation? operation)
        {
            operation = StripConversions(operation);
            if (operation is IDeclarationExpressionOperation declaration)
            {
                // `out var h`: the declared local.
                operation = StripConversions(declaration.Expression);
            }

            return operation switch
            {
                ILocalReferenceOperation local => ValueKey.Local(local.Local),
                IFlowCaptureReferenceOperation capture => ValueKey.Capture(capture.Id),
                IInvocationOperation or IObjectCreationOperation => ValueKey.Operation(operation),
                _ => null,
            };
        }

        /// <summary>The operation under its implicit and explicit built-in conversions.</summary>
        internal static IOperation? StripConversions(IOperation? operation)
        {
            while (operation is IConversionOperation { OperatorMethod: null } conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }
    }
}
