package io.ssebroker.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * One entry of {@code http.trusted_proxies}: an IP address, or a CIDR range ({@code 10.0.0.0/8}, {@code fd00::/8}).
 * Literals are parsed without ever asking DNS.
 */
public record AddressRange(byte[] network, int prefixBits) {
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    /** Only dotted quads: the JDK would take {@code 999.1.1.1} for a host name and ask DNS. */
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    /** With a colon the JDK parses a literal or fails; it never looks such a name up. */
    private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9a-fA-F.]*:[0-9a-fA-F:.]*");

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
     * included, is refused. An IPv4-mapped IPv6 literal becomes the IPv4 address.
     */
    public static InetAddress literal(String ip) {
        String text = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        boolean v4 = IPV4.matcher(text).matches();
        boolean v6 = text.length() <= 45 && IPV6_CHARACTERS.matcher(text).matches(); // the JDK parses, DNS never asked
        if (!v4 && !v6) {
            throw new IllegalArgumentException("not an IP address: " + ip);
        }
        try {
            return InetAddress.getByName(text);
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
