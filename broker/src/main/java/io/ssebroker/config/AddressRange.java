package io.ssebroker.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One entry of {@code http.trusted_proxies}: an IP address, or a CIDR range ({@code 10.0.0.0/8}, {@code fd00::/8}).
 * Literals are parsed without ever asking DNS.
 */
public record AddressRange(byte[] network, int prefixBits) {

    public static AddressRange parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        InetAddress address = literal(slash < 0 ? trimmed : trimmed.substring(0, slash));
        byte[] bytes = address.getAddress();
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            String bits = trimmed.substring(slash + 1);
            if (!bits.matches("[0-9]{1,3}") || Integer.parseInt(bits) > bytes.length * 8) {
                throw new IllegalArgumentException("not a prefix length for " + address.getHostAddress() + ": /" + bits);
            }
            prefix = Integer.parseInt(bits);
        }
        return new AddressRange(masked(bytes, prefix), prefix);
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == network.length && Arrays.equals(masked(bytes, prefixBits), network);
    }

    /**
     * Parses an IP literal ({@code 192.0.2.1}, {@code 2001:db8::1}, {@code [2001:db8::1]}); anything else, host names
     * included, is refused. Never asks a resolver: the text is untrusted (forwarding headers) and read on event loops.
     * An IPv4-mapped IPv6 literal becomes the IPv4 address.
     */
    public static InetAddress literal(String ip) {
        String text = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        byte[] bytes = text.length() <= 45 ? NetUtil.createByteArrayFromIpAddressString(text) : null;
        if (bytes == null || text.indexOf('%') >= 0) {
            throw new IllegalArgumentException("not an IP address: " + ip);
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + ip, e);
        }
    }

    private static byte[] masked(byte[] bytes, int prefixBits) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bitsHere = Math.max(0, Math.min(8, prefixBits - i * 8));
            out[i] &= (byte) (0xff << (8 - bitsHere));
        }
        return out;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AddressRange range && range.prefixBits == prefixBits
                && Arrays.equals(range.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixBits;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixBits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
